// Windows code signing for electron-builder (win.signtoolOptions.sign), driven by the release workflow's environment:
// OUTPOST_WIN_SIGN_COMMAND is the command that signs one file (e.g. AzureSignTool or signtool with a hardware token),
// with {file} where the path goes. Unset (a local or pull-request build): nothing is signed, and the log says so.
const { execFileSync } = require('node:child_process');

exports.default = async function sign(configuration) {
  const template = process.env.OUTPOST_WIN_SIGN_COMMAND;
  if (!template) {
    console.log(`not signing ${configuration.path}: OUTPOST_WIN_SIGN_COMMAND is not set`);
    return;
  }
  const [program, ...args] = template.split(' ').map((part) => part.replace('{file}', configuration.path));
  execFileSync(program, args, { stdio: 'inherit' });
};

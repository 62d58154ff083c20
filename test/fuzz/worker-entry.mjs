// Worker threads do not inherit the tsx loader of the process that starts them: this plain module loads it first.
import { tsImport } from 'tsx/esm/api';

await tsImport('./worker.ts', import.meta.url);

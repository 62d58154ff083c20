; Outpost VPN: what the per-machine NSIS installer does besides copying the app (included by electron-builder's
; nsis.include). Runs elevated, as the installer is perMachine.
;
; - %ProgramData%\Outpost (policy-free state, and profiles\ for IT's managed profiles) gets an ACL of its own:
;   inheritance from %ProgramData% removed (its default lets every user create files), full control for SYSTEM
;   (*S-1-5-18) and Administrators (*S-1-5-32-544) only, owner Administrators. SIDs, not names, so it works in every
;   language. The app refuses the folder otherwise (core/policy/windows-acl.ts).
; - The network helper is registered as a LocalSystem service when the helper build ships it (docs/privilege.md).

!define OUTPOST_DATA "$COMMONPROGRAMDATA\Outpost"
!define OUTPOST_HELPER "$INSTDIR\resources\helper\outpost-helper.exe"

!macro customInstall
  SetShellVarContext all
  CreateDirectory "${OUTPOST_DATA}\profiles"
  nsExec::ExecToLog 'icacls "${OUTPOST_DATA}" /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F /T /C'
  nsExec::ExecToLog 'icacls "${OUTPOST_DATA}" /setowner *S-1-5-32-544 /T /C'
  IfFileExists "${OUTPOST_HELPER}" 0 +4
    nsExec::ExecToLog 'sc.exe create OutpostHelper binPath= "\"${OUTPOST_HELPER}\" helper" start= auto obj= LocalSystem DisplayName= "Outpost VPN network service"'
    nsExec::ExecToLog 'sc.exe failure OutpostHelper reset= 86400 actions= restart/5000/restart/5000/restart/30000'
    nsExec::ExecToLog 'sc.exe start OutpostHelper'
!macroend

!macro customUnInstall
  nsExec::ExecToLog 'sc.exe stop OutpostHelper'
  nsExec::ExecToLog 'sc.exe delete OutpostHelper'
  ; %ProgramData%\Outpost holds IT's profiles: an update uninstalls first and must keep them, so it stays.
!macroend

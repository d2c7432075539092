; Tuneforge installer: per-user (no administrator rights), Start menu + optional desktop
; shortcut, uninstaller listed in Settings > Apps, clean upgrade, optional "Open with".
;
;   makensis -WX -INPUTCHARSET UTF8 -DVERSION=0.1.0 -DDIST_DIR=build\dist\Tuneforge installer\tuneforge.nsi
;
; installer/build.py runs it with every define. Silent install: Setup.exe /S [/D=C:\path]
; (/D last, unquoted); silent uninstall: Uninstall.exe /S.
; The install folder holds only the app: settings, models and caches live in the user's
; own folders (%LOCALAPPDATA%\Tuneforge, Documents\Tuneforge, the Hugging Face cache),
; which uninstalling leaves alone.

Unicode true
ManifestDPIAware true
!ifndef COMPRESSOR
  !define COMPRESSOR "lzma"
!endif
SetCompressor /SOLID ${COMPRESSOR}
!if "${COMPRESSOR}" == "lzma"
  SetCompressorDictSize 64
!endif
RequestExecutionLevel user

!ifndef VERSION
  !error "Pass the version: -DVERSION=x.y.z"
!endif
!ifndef DIST_DIR
  !error "Pass the PyInstaller bundle folder: -DDIST_DIR=...\Tuneforge"
!endif
!ifndef VI_VERSION
  !define VI_VERSION "${VERSION}.0"
!endif
!ifndef OUT_FILE
  !define OUT_FILE "Tuneforge-${VERSION}-setup.exe"
!endif
!ifndef ICON
  !define ICON "..\resources\icons\tuneforge.ico"
!endif

!define APP_NAME "Tuneforge"
!define APP_EXE "Tuneforge.exe"
!define CLI_EXE "tuneforge-cli.exe"
!define PUBLISHER "Tuneforge contributors"
!define APP_KEY "Software\Tuneforge"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Tuneforge"
!define PROGID "Tuneforge.gguf"
!define SHCNE_ASSOCCHANGED 0x08000000

Name "${APP_NAME}"
OutFile "${OUT_FILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP_NAME}"
InstallDirRegKey HKCU "${APP_KEY}" "InstallDir"
BrandingText "${APP_NAME} ${VERSION}"

VIProductVersion "${VI_VERSION}"
VIFileVersion "${VI_VERSION}"
VIAddVersionKey /LANG=0 "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileDescription" "${APP_NAME} ${VERSION} Setup"
VIAddVersionKey /LANG=0 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=0 "LegalCopyright" "MIT License, ${PUBLISHER}"

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"
!include "x64.nsh"

Var PreviousDir
Var PreviousVersion

; -- pages ----------------------------------------------------------------------------
!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_COMPONENTSPAGE_SMALLDESC
!define MUI_FINISHPAGE_RUN "$INSTDIR\${APP_EXE}"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

; The installer speaks the user's Windows language when it is one of these.
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "SimpChinese"

LangString SecAppName ${LANG_ENGLISH} "Tuneforge (required)"
LangString SecAppName ${LANG_SIMPCHINESE} "Tuneforge（必需）"
LangString SecAppDesc ${LANG_ENGLISH} "The app and its Start menu shortcut."
LangString SecAppDesc ${LANG_SIMPCHINESE} "程序本身和开始菜单快捷方式。"
LangString SecDesktopName ${LANG_ENGLISH} "Desktop shortcut"
LangString SecDesktopName ${LANG_SIMPCHINESE} "桌面快捷方式"
LangString SecDesktopDesc ${LANG_ENGLISH} "A Tuneforge icon on the desktop."
LangString SecDesktopDesc ${LANG_SIMPCHINESE} "在桌面上放一个 Tuneforge 图标。"
LangString SecGgufName ${LANG_ENGLISH} "Open .gguf files with Tuneforge"
LangString SecGgufName ${LANG_SIMPCHINESE} "用 Tuneforge 打开 .gguf 文件"
LangString SecGgufDesc ${LANG_ENGLISH} "Adds Tuneforge to the $\"Open with$\" menu of .gguf model files."
LangString SecGgufDesc ${LANG_SIMPCHINESE} "在 .gguf 模型文件的“打开方式”菜单中加入 Tuneforge。"
LangString GgufTypeName ${LANG_ENGLISH} "GGUF model"
LangString GgufTypeName ${LANG_SIMPCHINESE} "GGUF 模型"
LangString Need64Bit ${LANG_ENGLISH} "Tuneforge needs 64-bit Windows."
LangString Need64Bit ${LANG_SIMPCHINESE} "Tuneforge 需要 64 位 Windows。"
LangString AppRunning ${LANG_ENGLISH} "Tuneforge is running. Close it, then click Retry."
LangString AppRunning ${LANG_SIMPCHINESE} "Tuneforge 正在运行。请先关闭它，然后点击“重试”。"
LangString RemovingPrevious ${LANG_ENGLISH} "Removing the previous version"
LangString RemovingPrevious ${LANG_SIMPCHINESE} "正在移除旧版本"

; -- helpers --------------------------------------------------------------------------
; A running .exe cannot be opened for writing: ask until the app is closed (silent: give up
; with exit code 2).
!macro CheckNotRunning DIR EXE
  ${If} ${FileExists} "${DIR}\${EXE}"
    ClearErrors
    FileOpen $0 "${DIR}\${EXE}" a
    ${If} ${Errors}
      StrCpy $1 "running"
    ${Else}
      FileClose $0
    ${EndIf}
  ${EndIf}
!macroend

!macro EnsureNotRunning DIR
  ${Do}
    StrCpy $1 ""
    !insertmacro CheckNotRunning "${DIR}" "${APP_EXE}"
    !insertmacro CheckNotRunning "${DIR}" "${CLI_EXE}"
    ${If} $1 == ""
      ${Break}
    ${EndIf}
    ${If} ${Silent}
      SetErrorLevel 2
      Quit
    ${EndIf}
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "$(AppRunning)" IDRETRY +2
    Quit
  ${Loop}
!macroend

; -- install --------------------------------------------------------------------------
Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_OK|MB_ICONSTOP "$(Need64Bit)" /SD IDOK
    SetErrorLevel 3
    Quit
  ${EndIf}
  SetShellVarContext current
  ReadRegStr $PreviousDir HKCU "${UNINSTALL_KEY}" "InstallLocation"
  ReadRegStr $PreviousVersion HKCU "${UNINSTALL_KEY}" "DisplayVersion"
FunctionEnd

Section "$(SecAppName)" SecApp
  SectionIn RO
  SetShellVarContext current
  !insertmacro EnsureNotRunning "$INSTDIR"

  ; Upgrade: the previous version's own uninstaller removes its files, shortcuts and
  ; registry entries first (wherever it was installed), so nothing stale is left behind.
  ${If} $PreviousDir != ""
  ${AndIf} ${FileExists} "$PreviousDir\Uninstall.exe"
    !insertmacro EnsureNotRunning "$PreviousDir"
    DetailPrint "$(RemovingPrevious) $PreviousVersion ($PreviousDir)"
    InitPluginsDir
    CopyFiles /SILENT "$PreviousDir\Uninstall.exe" "$PLUGINSDIR\previous-uninstall.exe"
    ExecWait '"$PLUGINSDIR\previous-uninstall.exe" /S _?=$PreviousDir'
    Delete "$PreviousDir\Uninstall.exe"
    RMDir "$PreviousDir"
  ${EndIf}
  ; A copy without an uninstaller (or a failed one): never mix old and new libraries.
  RMDir /r "$INSTDIR\_internal"

  SetOutPath "$INSTDIR"
  File /r "${DIST_DIR}\*"
  WriteUninstaller "$INSTDIR\Uninstall.exe"

  CreateShortCut "$SMPROGRAMS\${APP_NAME}.lnk" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0

  WriteRegStr HKCU "${APP_KEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${APP_KEY}" "Version" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${APP_EXE},0"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\Uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" "$0"
SectionEnd

Section "$(SecDesktopName)" SecDesktop
  SetShellVarContext current
  CreateShortCut "$DESKTOP\${APP_NAME}.lnk" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0
SectionEnd

; "Open with" only: Tuneforge is offered for .gguf files, never made their default app.
Section "$(SecGgufName)" SecGguf
  WriteRegStr HKCU "Software\Classes\${PROGID}" "" "$(GgufTypeName)"
  WriteRegStr HKCU "Software\Classes\${PROGID}\DefaultIcon" "" "$INSTDIR\${APP_EXE},0"
  WriteRegStr HKCU "Software\Classes\${PROGID}\shell\open\command" "" '"$INSTDIR\${APP_EXE}" "%1"'
  WriteRegStr HKCU "Software\Classes\.gguf\OpenWithProgids" "${PROGID}" ""
  WriteRegStr HKCU "Software\Classes\Applications\${APP_EXE}" "FriendlyAppName" "${APP_NAME}"
  WriteRegStr HKCU "Software\Classes\Applications\${APP_EXE}\SupportedTypes" ".gguf" ""
  WriteRegStr HKCU "Software\Classes\Applications\${APP_EXE}\shell\open\command" "" '"$INSTDIR\${APP_EXE}" "%1"'
  System::Call 'shell32::SHChangeNotify(i ${SHCNE_ASSOCCHANGED}, i 0, p 0, p 0)'
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecApp} "$(SecAppDesc)"
  !insertmacro MUI_DESCRIPTION_TEXT ${SecDesktop} "$(SecDesktopDesc)"
  !insertmacro MUI_DESCRIPTION_TEXT ${SecGguf} "$(SecGgufDesc)"
!insertmacro MUI_FUNCTION_DESCRIPTION_END

; -- uninstall ------------------------------------------------------------------------
Function un.onInit
  SetShellVarContext current
FunctionEnd

Section "Uninstall"
  !insertmacro EnsureNotRunning "$INSTDIR"
  Delete "$SMPROGRAMS\${APP_NAME}.lnk"
  Delete "$DESKTOP\${APP_NAME}.lnk"

  ReadRegStr $0 HKCU "Software\Classes\${PROGID}\shell\open\command" ""
  DeleteRegKey HKCU "Software\Classes\${PROGID}"
  DeleteRegValue HKCU "Software\Classes\.gguf\OpenWithProgids" "${PROGID}"
  DeleteRegKey /ifempty HKCU "Software\Classes\.gguf\OpenWithProgids"
  DeleteRegKey /ifempty HKCU "Software\Classes\.gguf"
  DeleteRegKey HKCU "Software\Classes\Applications\${APP_EXE}"
  ${If} $0 != ""
    System::Call 'shell32::SHChangeNotify(i ${SHCNE_ASSOCCHANGED}, i 0, p 0, p 0)'
  ${EndIf}

  ; Exactly what the installer put here (installer/build.py checks the bundle's layout).
  Delete "$INSTDIR\${APP_EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\Uninstall.exe"
  RMDir "$INSTDIR"

  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "${APP_KEY}"
SectionEnd

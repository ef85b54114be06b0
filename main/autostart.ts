// Start at login on Linux desktops: an XDG autostart entry (~/.config/autostart/meowtrix.desktop)
// that launches the app hidden in the tray.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';

export function autostartFile(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return path.join(config, 'autostart', 'meowtrix.desktop');
}

/** Quotes an Exec argument per the Desktop Entry spec (double quotes; \\ " ` $ escaped). */
function execArg(arg: string): string {
  if (/^[A-Za-z0-9_\/.+:=@%-]+$/.test(arg)) return arg;
  return `"${arg.replace(/([\\"`$])/g, '\\$1')}"`;
}

/** How this run was started, as Electron reports it (app.isPackaged, process.execPath, app.getAppPath()). */
export interface LaunchFacts {
  isPackaged: boolean;
  execPath: string;
  appPath: string;
  env: NodeJS.ProcessEnv;
}

/**
 * The command that starts this app again at login. An AppImage runs from a fresh mount each time, so
 * the image itself ($APPIMAGE). A system-Electron package (Arch: electronNN runs <prefix>/lib/meowtrix/app.asar)
 * looks unpackaged to Electron; its <prefix>/bin/meowtrix launcher keeps working when electronNN is upgraded.
 * Otherwise the packaged executable, or (a dev run) electron plus the app folder.
 */
export function launchCommand(run: LaunchFacts): string[] {
  if (run.isPackaged) {
    const appImage = run.env.APPIMAGE;
    return [appImage && path.isAbsolute(appImage) ? appImage : run.execPath];
  }
  if (path.basename(run.appPath) === 'app.asar' && path.basename(path.dirname(run.appPath)) === 'meowtrix') {
    const launcher = path.join(path.dirname(run.appPath), '..', '..', 'bin', 'meowtrix');
    if (isExecutableFile(launcher)) return [path.normalize(launcher)];
  }
  return [run.execPath, run.appPath];
}

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function autostartEntry(command: string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Meowtrix',
    'Comment=Household chat; hosts the home server when "Host server" is on',
    `Exec=${[...command, '--hidden'].map(execArg).join(' ').replace(/%/g, '%%')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Writes or removes the entry. command: the executable (and app path when run unpackaged). */
export function applyAutostart(enabled: boolean, command: string[], file: string = autostartFile()): void {
  if (!enabled) {
    fs.rmSync(file, { force: true });
    return;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, autostartEntry(command), { mode: 0o644 });
  fs.renameSync(tmp, file);
}

/**
 * The thin Electron shell (DESIGN.md "app/"): one instance, one secure window. The engine,
 * tray, notifications, protocol handler and IPC arrive with the desktop-app issue; until then
 * the window shows the renderer's placeholder page. Nothing outside main/app/ imports electron.
 */
import { app, BrowserWindow, shell } from 'electron';
import { join } from 'node:path';

// Element and Electron's security checklist: every renderer sandboxed.
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let window: BrowserWindow | undefined;

  const createWindow = () => {
    window = new BrowserWindow({
      width: 420,
      height: 720,
      title: 'Appel',
      webPreferences: {
        contextIsolation: true,
        nodeIntegration: false,
        sandbox: true,
      },
    });
    // Navigation and new windows are denied; links a person clicks open in their browser.
    window.webContents.setWindowOpenHandler(({ url }) => {
      if (/^https:/.test(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
    window.webContents.on('will-navigate', (event) => event.preventDefault());
    void window.loadFile(join(app.getAppPath(), 'renderer/index.html'));
  };

  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  app.whenReady().then(createWindow, (err: unknown) => {
    console.error(err);
    app.exit(1);
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}

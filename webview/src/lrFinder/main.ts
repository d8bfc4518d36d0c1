// Entry point of the Find Learning Rate webview (bundled by esbuild as dist/lrFinder.js).

import { provideVSCodeDesignSystem, vsCodeButton } from '@vscode/webview-ui-toolkit';
import type { LrFinderToHostMessage } from '../../../src/core/protocol/lrFinder';
import { watchTheme } from '../theme';
import { getVsCodeApi } from '../vscodeApi';
import { LrFinderApp } from './lrFinderApp';

provideVSCodeDesignSystem().register(vsCodeButton());

const api = getVsCodeApi<unknown, LrFinderToHostMessage>();
const root = document.getElementById('app') ?? document.body;
const app = new LrFinderApp(root, api);
window.addEventListener('message', (event: MessageEvent<unknown>) => app.handleMessage(event.data));
watchTheme(() => app.onThemeChange());
api.postMessage({ type: 'ready' });

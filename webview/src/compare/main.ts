// Entry point of the Compare Runs webview (bundled by esbuild as dist/compare.js).

import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDropdown,
  vsCodeOption,
  vsCodeRadio,
  vsCodeRadioGroup,
} from '@vscode/webview-ui-toolkit';
import type { CompareToHostMessage } from '../../../src/core/protocol/compare';
import { watchTheme } from '../theme';
import { getVsCodeApi } from '../vscodeApi';
import { CompareApp, type ComparePersistedState } from './compareApp';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeCheckbox(), vsCodeDropdown(), vsCodeOption(), vsCodeRadio(), vsCodeRadioGroup());

const api = getVsCodeApi<ComparePersistedState, CompareToHostMessage>();
const root = document.getElementById('app') ?? document.body;
const app = new CompareApp(root, api);
app.restore(api.getState());
window.addEventListener('message', (event: MessageEvent<unknown>) => app.handleMessage(event.data));
watchTheme(() => app.onThemeChange());
api.postMessage({ type: 'ready' });

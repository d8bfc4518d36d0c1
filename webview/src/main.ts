// Entry point of the dashboard webview (bundled by esbuild as an iife).

import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDropdown,
  vsCodeOption,
  vsCodeProgressRing,
  vsCodeRadio,
  vsCodeRadioGroup,
} from '@vscode/webview-ui-toolkit';
import { Dashboard, type PersistedState } from './dashboard';
import { watchTheme } from './theme';
import { getVsCodeApi } from './vscodeApi';

provideVSCodeDesignSystem().register(
  vsCodeButton(),
  vsCodeCheckbox(),
  vsCodeDropdown(),
  vsCodeOption(),
  vsCodeProgressRing(),
  vsCodeRadio(),
  vsCodeRadioGroup(),
);

const api = getVsCodeApi<PersistedState>();
const root = document.getElementById('app') ?? document.body;
// The host names the Mermaid bundle on this script's tag; it is loaded when a pipeline is shown.
const mermaidSrc = document.currentScript instanceof HTMLScriptElement ? document.currentScript.dataset.mermaidSrc : undefined;
const dashboard = new Dashboard(root, api, { mermaidSrc });
dashboard.restore(api.getState());
window.addEventListener('message', (event: MessageEvent<unknown>) => dashboard.handleMessage(event.data));
watchTheme(() => dashboard.onThemeChange());
api.postMessage({ type: 'ready' });

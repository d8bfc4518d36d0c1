// The page's strings ride on its script tag, so its first paint is already in
// the editor's language; any text survives the trip through the attribute.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderDashboardHtml } from '../../src/host/panels/webviewHtml';

test('the strings are on the script tag, escaped, and read back unchanged', () => {
  const strings = { 'empty.message': '还没有运行 — 在实验配置上按“训练此配置”', 'x.quote': 'a "quoted" <b>tag</b> & \'apostrophe\'' };
  const html = renderDashboardHtml({ cspSource: 'https://x', nonce: 'n0nce', scriptUri: 'https://x/webview.js', styleUri: 'https://x/d.css', title: 'Model Lab', lang: 'zh-cn', strings });
  const tag = /<script nonce="n0nce" src="https:\/\/x\/webview\.js" data-strings="([^"]*)"><\/script>/.exec(html);
  assert.ok(tag, html);
  assert.doesNotMatch(tag[1]!, /[<>"]/, 'nothing in the attribute can end it or open a tag');
  // What the browser's dataset gives back: the entities decoded.
  const decoded = tag[1]!.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
  assert.deepEqual(JSON.parse(decoded), strings);
  assert.match(html, /<html lang="zh-cn">/);
  // Without strings (a test page), no attribute.
  assert.doesNotMatch(renderDashboardHtml({ cspSource: 'x', nonce: 'n', scriptUri: 's', styleUri: 'c', title: 't' }), /data-strings/);
});

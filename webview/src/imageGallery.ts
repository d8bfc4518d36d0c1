// An image classifier's evaluation, image by image: the misclassified test
// images, most confident mistakes first, and a grid of every test image with
// its true and predicted label. Each tile is a button: it asks the host to
// open that image in the editor (the host opens only a file the evaluation
// lists). Images load from the run's config folder through the webview URI
// the host sends (`imageRoot`); paths and labels go in as text and attributes,
// never as markup.

import type { ImagePrediction } from '../../src/core/types';
import type { Translate } from '../../src/core/dashboardStringTable';
import { h } from './dom';

/** Tiles drawn at first, and added by each "Show more". */
export const GALLERY_PAGE = 48;

export interface GalleryOptions {
  /** The webview URI of the config's folder (no trailing slash), or undefined before the host sends it. */
  base: string | undefined;
  /** Webview URIs of the images listed by absolute path (outside the config's folder). */
  files?: Readonly<Record<string, string>>;
  /** Open this image (its path as the evaluation lists it) in the editor. */
  open(file: string): void;
}

/** The image's URL under the folder's webview URI: each path segment encoded. */
export function imageUrl(base: string, file: string): string {
  return `${base}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/** Where the page loads an evaluation image from: its own URI if the host sent one, else under the folder's; undefined if neither. */
export function imageSource(options: GalleryOptions, file: string): string | undefined {
  const own = options.files && Object.hasOwn(options.files, file) ? options.files[file] : undefined;
  if (own) return own;
  const absolute = /^(\/|[A-Za-z]:[\\/])/.test(file);
  return options.base && !absolute ? imageUrl(options.base, file) : undefined;
}

/** The misclassified images, most confident first (ties: by path, so the order is stable). */
export function mistakesByConfidence(images: readonly ImagePrediction[]): ImagePrediction[] {
  return images
    .filter((i) => i.label !== i.predicted)
    .sort((a, b) => b.confidence - a.confidence || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

function tile(image: ImagePrediction, options: GalleryOptions, t: Translate): HTMLButtonElement {
  const wrong = image.label !== image.predicted;
  const percent = `${(image.confidence * 100).toFixed(1)}%`;
  const description = t('images.tile', image.file, image.label, image.predicted, percent);
  const src = imageSource(options, image.file);
  const button = h(
    'button',
    {
      type: 'button',
      class: `image-tile${wrong ? ' wrong' : ''}`,
      'data-file': image.file,
      'data-label': image.label,
      'data-predicted': image.predicted,
      'data-confidence': image.confidence,
      title: description,
      'aria-label': description,
    },
    src ? h('img', { src, alt: '', loading: 'lazy', decoding: 'async' }) : h('span', { class: 'image-tile-missing' }, '?'),
    h(
      'span',
      { class: 'image-tile-caption' },
      h('span', { class: 'image-tile-true' }, image.label),
      h('span', { class: 'image-tile-arrow', 'aria-hidden': 'true' }, wrong ? ' → ' : ' ✓ '),
      wrong ? h('span', { class: 'image-tile-predicted' }, image.predicted) : null,
      h('span', { class: 'image-tile-confidence' }, ` ${percent}`),
    ),
  );
  button.addEventListener('click', () => options.open(image.file));
  return button;
}

/** A grid of tiles that shows GALLERY_PAGE more each time its button is pressed. */
function pagedGrid(id: string, images: readonly ImagePrediction[], options: GalleryOptions, t: Translate): HTMLElement {
  const grid = h('div', { class: 'image-grid', id, role: 'list' });
  const more = h('button', { type: 'button', class: 'image-more secondary' });
  let shown = 0;
  const showMore = () => {
    const next = images.slice(shown, shown + GALLERY_PAGE);
    grid.append(...next.map((image) => h('div', { role: 'listitem', class: 'image-cell' }, tile(image, options, t))));
    shown += next.length;
    more.hidden = shown >= images.length;
    more.textContent = t('images.more', images.length - shown);
  };
  more.addEventListener('click', () => {
    const first = shown;
    showMore();
    // Keyboard users land on the first new tile.
    grid.querySelectorAll<HTMLButtonElement>('.image-tile')[first]?.focus();
  });
  showMore();
  return h('div', { class: 'image-grid-wrap' }, grid, more);
}

/** The two galleries for an evaluation with images. */
export function imageGalleries(images: readonly ImagePrediction[], options: GalleryOptions, t: Translate): HTMLElement {
  const mistakes = mistakesByConfidence(images);
  const section = h('div', { class: 'image-evaluation', id: 'image-evaluation' });
  section.append(h('h3', { id: 'misclassified-title' }, t('images.misclassified', mistakes.length)));
  if (mistakes.length === 0) section.append(h('p', { class: 'muted' }, t('images.noMistakes')));
  else section.append(h('p', { class: 'muted hint' }, t('images.misclassified.hint')), pagedGrid('misclassified-images', mistakes, options, t));
  section.append(h('h3', { id: 'test-images-title' }, t('images.all', images.length)), pagedGrid('test-images', images, options, t));
  return section;
}

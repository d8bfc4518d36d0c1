// Saliency for an image classifier: the prediction for one image file and a
// map of where the model looked (Grad-CAM on the last convolution, or the
// gradient of the class score with respect to the pixels).

import type { SaliencyMethod, SaliencyResult } from '../core/types';

export async function saliencyFor(modelDir: string, imagePath: string, method: SaliencyMethod = 'gradcam'): Promise<SaliencyResult> {
  throw new Error(`saliency (${method}) for ${imagePath} with ${modelDir}: not built yet`);
}

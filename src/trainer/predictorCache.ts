// Loaded predictors kept between requests of the long-lived inference process
// (the dashboard's predict playground): a few, most recently used kept,
// reloaded when model.json changes (a run that saves a better epoch replaces it).

import { ModelDirCache } from './modelDirCache';
import { Predictor } from './predictor';

export class PredictorCache extends ModelDirCache<Predictor> {
  constructor(capacity = 2) {
    super((dir) => Predictor.load(dir), (predictor) => predictor.dispose(), capacity);
  }
}

// State that belongs to the inputs it was computed for (its key): once the inputs change it
// reads as the fallback again, until it is set for the new inputs. Loads use it to show
// "loading" for new inputs without a setState at the start of their effect, which renders
// the previous result once more before the spinner (react-hooks/set-state-in-effect), and
// an answer that arrives for old inputs can never pass for the new ones.
import { useCallback, useState } from 'react';

export function useKeyedState<T>(key: string, fallback: T): [T, (forKey: string, value: T) => void] {
  const [stored, setStored] = useState<{ key: string; value: T } | null>(null);
  const set = useCallback((forKey: string, value: T) => setStored({ key: forKey, value }), []);
  return [stored !== null && stored.key === key ? stored.value : fallback, set];
}

import { act, renderHook } from '@testing-library/react';
import { useKeyedState } from './useKeyedState';

describe('useKeyedState', () => {
  it('reads as the fallback for new inputs, and ignores an answer for old ones', () => {
    const { result, rerender } = renderHook(({ key }) => useKeyedState(key, 'loading'), { initialProps: { key: 'a' } });
    expect(result.current[0]).toBe('loading');
    act(() => result.current[1]('a', 'done a'));
    expect(result.current[0]).toBe('done a');

    rerender({ key: 'b' });
    expect(result.current[0]).toBe('loading');
    // A late answer for the previous inputs must not show as the answer for these.
    act(() => result.current[1]('a', 'late a'));
    expect(result.current[0]).toBe('loading');
    act(() => result.current[1]('b', 'done b'));
    expect(result.current[0]).toBe('done b');
  });
});

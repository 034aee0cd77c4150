import { TaskSlicer, yieldToBrowser } from './yield';

describe('task slicing', () => {
  it('yields only once a slice has used its budget', async () => {
    let yields = 0;
    const slicer = new TaskSlicer(5, async () => {
      yields++;
    });
    await slicer.maybeYield();
    expect(yields).toBe(0);
    const until = performance.now() + 6;
    while (performance.now() < until) {
      // busy: the slice's budget runs out
    }
    await slicer.maybeYield();
    expect(yields).toBe(1);
    // A fresh slice starts after the yield.
    await slicer.maybeYield();
    expect(yields).toBe(1);
  });

  it('gives the event loop a turn', async () => {
    let ran = false;
    setTimeout(() => (ran = true), 0);
    const deadline = Date.now() + 1000;
    while (!ran && Date.now() < deadline) {
      await yieldToBrowser();
    }
    expect(ran).toBe(true);
  });
});

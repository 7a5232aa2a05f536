import { Topic } from './Topic';

describe('Topic', () => {
  it('tells every listener, also after one throws, and stops telling one removed', () => {
    const errors: unknown[] = [];
    const topic = new Topic<number>(error => errors.push(error));
    const heard: string[] = [];
    topic.subscribe(() => {
      throw new Error('listener broke');
    });
    const stop = topic.subscribe(n => heard.push(`a${n}`));
    topic.subscribe(n => heard.push(`b${n}`));

    topic.publish(1);
    stop();
    topic.publish(2);

    expect(heard).toEqual(['a1', 'b1', 'b2']);
    expect(errors).toHaveLength(2);
    expect((errors[0] as Error).message).toBe('listener broke');
  });
});

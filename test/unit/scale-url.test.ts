// demo-scale's temporary release (the other pod management policy, on its own NodePort) is reached
// the way the user reaches the main release: --url-2, else --url on the other NodePort.
import { describe, expect, it } from 'vitest';
import { temporaryUrl } from '../../src/demos/scale.js';

describe('temporaryUrl', () => {
  it('takes --url-2 as given', () => {
    expect(temporaryUrl({ url: 'http://192.168.49.2:31987', url2: 'http://127.0.0.1:51234' }, 31987, 31988)).toEqual({
      url: 'http://127.0.0.1:51234',
      how: 'given with --url-2',
    });
  });

  it("swaps --url's port for the temporary NodePort when --url is on the release's NodePort", () => {
    expect(temporaryUrl({ url: 'http://192.168.49.2:31987' }, 31987, 31988)).toEqual({
      url: 'http://192.168.49.2:31988',
      how: "--url on NodePort 31988, the temporary release's",
    });
    // --node-port 30100 for the temporary release; a path on --url is kept.
    expect(temporaryUrl({ url: 'http://node-1.example:31987/' }, 31987, 30100)?.url).toBe('http://node-1.example:30100');
  });

  it('finds the temporary release as without --url when --url is elsewhere (a tunnel, a load balancer), saying why', () => {
    expect(temporaryUrl({ url: 'http://127.0.0.1:51234' }, 31987, 31988)).toEqual({
      how: "--url http://127.0.0.1:51234 is not on the release's NodePort 31987, so the temporary release (NodePort 31988) was found as without --url; pass --url-2 to choose",
    });
    expect(temporaryUrl({ url: 'http://lb.example' }, 31987, 31988)?.url).toBeUndefined();
  });

  it('changes nothing without --url or --url-2', () => {
    expect(temporaryUrl({}, 31987, 31988)).toBeUndefined();
  });
});

import { AuthErrorCode, messages } from '@rotki-premium/protocol';
import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  CredentialsRejectedError,
  DeviceLimitError,
  RemoteError,
  SubscriptionInactiveError,
} from '../src/errors.ts';
import { ServerClock } from '../src/server-clock.ts';
import { errorFromResponse, type PremiumResponse } from '../src/premium-response.ts';

function response(status: number, body: unknown): PremiumResponse {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { status, headers: {}, body: Buffer.from(text), url: 'https://premium.example.org/nest/1/devices' };
}

describe('errorFromResponse', () => {
  it('maps credential refusals and keeps the code and message', () => {
    for (const code of [AuthErrorCode.UnknownApiKey, AuthErrorCode.SignatureMismatch, AuthErrorCode.DeviceRemoved]) {
      const error = errorFromResponse(response(403, { error: `message for ${code}`, code }));
      expect(error).toBeInstanceOf(CredentialsRejectedError);
      expect(error).toMatchObject({ code, status: 403, message: `message for ${code}` });
    }
  });

  it('treats a bare 401/403 as rejected credentials', () => {
    const error = errorFromResponse(response(401, { error: 'API KEY signature mismatch' }));
    expect(error).toBeInstanceOf(CredentialsRejectedError);
    expect(error).toMatchObject({ code: null, message: 'API KEY signature mismatch' });
    expect(errorFromResponse(response(403, ''))).toBeInstanceOf(CredentialsRejectedError);
  });

  it('maps an inactive subscription with its end date', () => {
    const message = messages.subscriptionInactive(new Date('2025-03-31T12:00:00Z'));
    const error = errorFromResponse(response(401, { error: message, code: AuthErrorCode.SubscriptionInactive }));
    expect(error).toBeInstanceOf(SubscriptionInactiveError);
    expect(error.message).toBe(message);
    expect((error as SubscriptionInactiveError).endedOn?.toISOString()).toBe('2025-03-31T00:00:00.000Z');
  });

  it('keeps other refusals as authentication errors', () => {
    const error = errorFromResponse(response(403, { error: messages.replayed(), code: AuthErrorCode.Replayed }));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).not.toBeInstanceOf(CredentialsRejectedError);
  });

  it('reads the device list and limit of a 422', () => {
    const device = {
      device_identifier: 'a'.repeat(64),
      device_name: 'laptop',
      platform: 'Linux',
      user: 'someone',
      last_seen_at: 1700000000,
      created_at: 1700000000,
    };
    const error = errorFromResponse(response(422, { error: 'Device limit of 1 reached', devices: [device], limit: 1 }));
    expect(error).toBeInstanceOf(DeviceLimitError);
    expect(error).toMatchObject({ message: 'Device limit of 1 reached', devices: [device], limit: 1 });
    // The rotki server's shape: only the message.
    expect(errorFromResponse(response(422, { error: 'Device limit of 1 exceeded' }))).toMatchObject({ devices: [], limit: null });
  });

  it('turns anything else into a RemoteError with status and body', () => {
    const error = errorFromResponse(response(502, '<html>Bad gateway</html>'));
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ status: 502, body: '<html>Bad gateway</html>' });
    expect(error.message).toContain('HTTP 502');
    expect(errorFromResponse(response(400, { error: 'Invalid request: x' })).message).toBe('Invalid request: x');
  });
});

describe('ServerClock', () => {
  it('gives strictly increasing nonces within one millisecond', () => {
    const clock = new ServerClock(() => 1_700_000_000_000);
    expect([clock.nextNonce(), clock.nextNonce(), clock.nextNonce()]).toEqual([1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_002]);
  });

  it('corrects by the server time it is given', () => {
    let local = 1_700_000_600_000;
    const clock = new ServerClock(() => local);
    clock.nextNonce();
    clock.adjustTo(1_700_000_000_000);
    expect(clock.offsetMs).toBe(-600_000);
    local += 5;
    expect(clock.nextNonce()).toBe(1_700_000_000_005);
  });
});

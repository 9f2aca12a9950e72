import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';

/**
 * One password-strength rule for the server (which refuses weak passwords)
 * and the website (which shows the same verdict as you type): zxcvbn-ts with
 * its common and English dictionaries. Its dictionaries are large, so the
 * website loads this module only on pages with a new-password field.
 */

/** zxcvbn scores 0–4; 3 ("safely unguessable") is the least accepted. */
export const MIN_PASSWORD_SCORE = 3;

export interface PasswordVerdict {
  score: 0 | 1 | 2 | 3 | 4;
  acceptable: boolean;
  /** What is wrong, when the estimator says so. */
  warning: string | null;
  suggestions: string[];
}

let estimator: ZxcvbnFactory | null = null;

function zxcvbn(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    translations: en.translations,
    graphs: common.adjacencyGraphs,
    dictionary: { ...common.dictionary, ...en.dictionary },
  });
  return estimator;
}

/** How guessable `password` is; `userInputs` (username, e-mail) count as known words. */
export function passwordVerdict(password: string, userInputs: string[] = []): PasswordVerdict {
  const inputs = userInputs.flatMap((value) => [value, ...value.split(/[@.+_-]/)]).filter((value) => value.length >= 3);
  const result = zxcvbn().check(password.slice(0, 200), inputs);
  const score = result.score;
  return {
    score,
    acceptable: score >= MIN_PASSWORD_SCORE,
    warning: result.feedback.warning ?? null,
    suggestions: result.feedback.suggestions,
  };
}

/** The message a refused password gets. */
export function weakPasswordMessage(verdict: PasswordVerdict): string {
  const why = verdict.warning ?? verdict.suggestions[0] ?? 'It is easy to guess.';
  return `This password is too weak: ${why} Use a longer one, for example a few unrelated words.`;
}

import { Option } from 'commander';

/** A mandatory option that an environment variable can also give (the password, say, kept out of argv). */
export function requiredOption(flags: string, description: string, env: string): Option {
  return new Option(flags, description).env(env).makeOptionMandatory();
}

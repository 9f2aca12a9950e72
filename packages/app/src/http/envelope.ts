/** rotki's local API answer: `{"result": …, "message": ""}`. */
export interface Envelope<T> {
  result: T;
  message: string;
}

export function ok<T>(result: T, message = ''): Envelope<T> {
  return { result, message };
}

/** POSTs JSON (or nothing) and returns status, headers and parsed body. */
export async function post(
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const init: RequestInit = { method: "POST", headers: body === undefined ? headers : { ...headers, "content-type": "application/json" } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? "" : (JSON.parse(text) as unknown) };
}

export function registration(username: string, password = "s3cret-pw") {
  return { username, email: `${username}@example.com`, password, password2: password };
}

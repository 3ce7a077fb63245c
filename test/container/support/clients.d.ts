import { type RunResult } from './podman.js';
export interface SwaksOptions {
    to: string;
    from?: string;
    auth?: {
        user: string;
        password: string;
        mechanism?: 'PLAIN' | 'LOGIN';
    };
    /** starttls: STARTTLS required; implicit: TLS on connect (port 465). */
    tls?: 'starttls' | 'implicit';
    /** Verify the server certificate against this CA file. */
    caFile?: string;
    header?: string;
    body?: string;
    extra?: readonly string[];
}
/** Run swaks against 127.0.0.1:port; the transcript is in stdout. */
export declare function swaks(port: number, o: SwaksOptions): Promise<RunResult>;
/** The server reply lines of a swaks transcript ("<-", "<~", "<**", "<~*" lines), without the arrows. */
export declare function replies(r: RunResult): string[];
/** Run curl with the given arguments (quiet, errors shown). */
export declare function curl(args: readonly string[], input?: string): Promise<RunResult>;
/** curl arguments that make `domain:port` resolve to the published loopback port. */
export declare const resolveTo: (domain: string, port: number) => string[];
/** Run a Python 3 program given as text, with arguments (sys.argv[1:]). */
export declare function python(code: string, args?: readonly string[], timeoutMs?: number): Promise<RunResult>;
/** Run a Python program and parse the JSON it prints last; throws with its stderr on failure. */
export declare function pythonJson<T>(code: string, args?: readonly string[], timeoutMs?: number): Promise<T>;
export interface TestPki {
    caCrt: string;
    crt: string;
    key: string;
}
/** A test CA and a server certificate for `domain` (RSA key) signed by it, in `dir`. */
export declare function makePki(dir: string, domain: string): Promise<TestPki>;
/** A unique token to find one message among others. */
export declare const token: (label: string) => string;

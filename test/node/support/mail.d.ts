export declare const PORTS: {
    readonly smtp: 25;
    readonly smtps: 465;
    readonly pop3: 110;
    readonly pop3s: 995;
};
export interface SendOptions {
    host: string;
    port: number;
    mode: 'plain' | 'starttls' | 'tls';
    user?: string;
    password?: string;
    from: string;
    to: string;
    subject?: string;
    body?: string;
    cafile?: string;
    servername?: string;
}
export interface FetchOptions {
    host: string;
    port: number;
    mode: 'plain' | 'stls' | 'tls';
    user: string;
    password: string;
    cafile?: string;
    servername?: string;
}
export interface ClientResult {
    ok: boolean;
    stage?: string;
    code?: number;
    error?: string;
    tls?: {
        version: string;
        subjectAltName: string[];
    } | null;
}
export interface Message {
    subject: string;
    from: string;
    to: string;
    body: string;
}
export interface FetchResult extends ClientResult {
    messages?: Message[];
}
/** Sends one message with smtplib; never throws for a refusal (see .ok/.code). */
export declare function sendMail(o: SendOptions): Promise<ClientResult>;
/** Lists every message of a POP3 mailbox with poplib (nothing is deleted). */
export declare function fetchMail(o: FetchOptions): Promise<FetchResult>;
/** Polls the mailbox until a message with this subject is there; returns all messages. */
export declare function waitForMessage(o: FetchOptions, subject: string, timeoutMs?: number): Promise<Message[]>;
/** Reads the first line a TCP server sends (a banner); rejects on error or after timeoutMs. */
export declare function banner(host: string, port: number, timeoutMs?: number): Promise<string>;
/**
 * Waits until a Service answers on its SMTP and POP3 ports. A MailAgent is
 * Ready when its pod is; the Service routes to it once the EndpointSlice
 * controller and kube-proxy caught up (about a second later).
 */
export declare function waitServiceAnswers(ip: string, timeoutMs?: number): Promise<void>;
/** Fails with the whole client result (stage, code, error) unless it succeeded. */
export declare function expectOk(r: ClientResult): void;
/** The ClusterIP of a Service. */
export declare function serviceIP(ns: string, name: string): Promise<string>;
/** The decoded data of a Secret. */
export declare function secretData(ns: string, name: string): Promise<Record<string, string>>;
/** The passwords of an agent's users (Secret <agent>-credentials, key = user). */
export declare function credentials(ns: string, agent: string): Promise<Record<string, string>>;
/** Writes text to a file in a private temporary directory; returns its path. */
export declare function tempFile(name: string, text: string): string;
/** The CA clients should trust, from the TLS Secret (tls.crt) or the ConfigMap (ca.crt); returns a file. */
export declare function caFile(ns: string, agent: string, from?: 'secret' | 'configmap'): Promise<string>;
/** kubectl wait for a MailAgent's Ready condition. */
export declare function waitAgentReady(ns: string, name: string, timeoutS?: number): Promise<void>;
/** Waits until leftovers(ns) is empty; the error lists what is still there. */
export declare function waitNothingLeft(ns: string, timeoutMs: number): Promise<void>;
/** Names of the objects left in a namespace (besides what every namespace has). */
export declare function leftovers(ns: string, selector?: string): Promise<string[]>;

import type { ChildProcess } from 'node:child_process';
export declare function freePort(): Promise<number>;
export declare class OperatorProcess {
    readonly child: ChildProcess;
    readonly port: number;
    readonly lines: string[];
    private exited;
    constructor(child: ChildProcess, port: number);
    get(path: string): Promise<{
        status: number;
        body: string;
    }>;
    /** Sum of a Prometheus metric over all its label sets. */
    metric(name: string): Promise<number>;
    stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
    get log(): string;
}
export declare function startOperator(namespace: string, extra?: string[], waitReady?: boolean): Promise<OperatorProcess>;

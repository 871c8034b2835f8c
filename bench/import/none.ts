// Cold-start baseline: a process that imports nothing.
export {};

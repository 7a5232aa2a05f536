export interface Config {
  sentinel?: {
    scaffolder?: {
      /**
       * Where `sentinel:files:export` writes template results (a directory on the backend's
       * machine; relative paths are from the backend's working directory). Unset, the action
       * refuses to run: publish to a Git host instead.
       */
      outputDirectory?: string;
    };
  };
}

export interface Config {
  sentinel?: {
    /** Who holds which Sentinel role. */
    rbac?: {
      /**
       * Entity refs (users or groups, e.g. `group:default/sre`) holding each role. A user holds
       * a role through their own ref or any group they are a member of.
       */
      roles?: {
        viewer?: string[];
        operator?: string[];
        admin?: string[];
        system?: string[];
      };
      /**
       * The role of signed-in users who hold no other; unset means they may do nothing in
       * Sentinel.
       */
      defaultRole?: 'viewer' | 'operator' | 'admin' | 'system';
    };
  };
}

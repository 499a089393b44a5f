/** The stack's name: the template file a synthesis writes is `<name>.template.json`. */
export const STACK_NAME = 'Offsite';

export const LOCAL = true;

/* Anchor for the exec library (keeps the target valid while the exec stage
 * is built up; see issue #8). */
const char rs_exec_lib_name[] = "exec";

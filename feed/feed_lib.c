/* Anchor for the feed library (keeps the target valid while the feed stage
 * is built up; see issue #4). */
const char rs_feed_lib_name[] = "feed";

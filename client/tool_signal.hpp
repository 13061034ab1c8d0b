// SIGINT/SIGTERM: the first one asks the transfer to stop cleanly (the
// progress and read callbacks see interrupted() and abort); a second one
// exits at once with exit_interrupted.  SIGPIPE is ignored.
#pragma once

namespace bgclient {

void install_signal_handlers();
bool interrupted();
void set_interrupted_for_tests(bool on);

}  // namespace bgclient

#include "tool_signal.hpp"

#include <csignal>

#include <unistd.h>

#include "tool_exit.hpp"

namespace bgclient {

namespace {

volatile std::sig_atomic_t got_signal = 0;

extern "C" void on_signal(int)
{
    if (got_signal) {
        static const char msg[] = "\nbgclient: interrupted\n";
        ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
        (void) ignored;
        _exit(exit_interrupted);
    }
    got_signal = 1;
}

}  // namespace

void install_signal_handlers()
{
    struct sigaction sa = {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a blocking read() of stdin returns EINTR
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    struct sigaction ign = {};
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, nullptr);
}

bool interrupted() { return got_signal != 0; }

void set_interrupted_for_tests(bool on) { got_signal = on ? 1 : 0; }

}  // namespace bgclient

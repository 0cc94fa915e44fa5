"""Safety tests: failures change nothing, crashes, full disks, read-only stores."""

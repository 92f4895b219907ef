#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    from audit.context import command

    with command(sys.argv):  # the audit log names the command as the actor of its changes
        execute_from_command_line(sys.argv)

#!/bin/bash
# README Validation: "-s dram 5.3 s" (wall, loaded 2-core machine). Here: ~11 s of CPU time alone, 61 window-model runs in dramwindow._kernel.
. /work/venv/bin/activate; /usr/bin/time -f "dram: %e s wall, %U s user" cimsim validate -s dram > /dev/null

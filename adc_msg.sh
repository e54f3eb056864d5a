#!/bin/bash
# README Bad-input row: --set cim.adc.columns_per_adc=1000 "refused, naming ... the column count (cannot exceed cols (128))".
# On bundled rram-cim (128 cols) and sram-cim the refusal is "give per_array or columns_per_adc, not both", without saying to --set cim.adc.per_array=null
. /work/venv/bin/activate
cimsim run rram-cim lstm --set cim.adc.columns_per_adc=1000
cimsim run rram-cim lstm --set cim.adc.columns_per_adc=1000 --set cim.adc.per_array=null

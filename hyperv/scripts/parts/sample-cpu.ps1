# Adds to $s the processors' raw run time counters, sample $i, named as
# $cn says (get-counters' long names or poll-host's one-letter ones).
$s += @(Get-CimInstance -ClassName Win32_PerfRawData_HvStats_HyperVHypervisorLogicalProcessor | Select-Object @{n=$cn.Set;e={'LP'}}, @{n=$cn.Sample;e={$i}}, @{n=$cn.Name;e={$_.Name}}, @{n=$cn.Value;e={$_.PercentTotalRunTime}}, @{n=$cn.Time;e={$_.Timestamp_Sys100NS}})
$s += @(Get-CimInstance -ClassName Win32_PerfRawData_HvStats_HyperVHypervisorVirtualProcessor | Select-Object @{n=$cn.Set;e={'VP'}}, @{n=$cn.Sample;e={$i}}, @{n=$cn.Name;e={$_.Name}}, @{n=$cn.Value;e={$_.PercentGuestRunTime}}, @{n=$cn.Wait;e={$_.CPUWaitTimePerDispatch}}, @{n=$cn.Dispatches;e={$_.CPUWaitTimePerDispatch_Base}}, @{n=$cn.Time;e={$_.Timestamp_Sys100NS}})

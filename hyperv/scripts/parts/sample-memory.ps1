# Adds to $s the host's available memory and each VM's memory pressure,
# read once (sample 1), named as $cn says.
$s += @(Get-CimInstance -ClassName Win32_PerfRawData_PerfOS_Memory | Select-Object @{n=$cn.Set;e={'Memory'}}, @{n=$cn.Sample;e={1}}, @{n=$cn.Name;e={$_.Name}}, @{n=$cn.Value;e={$_.AvailableMBytes}}, @{n=$cn.Time;e={$_.Timestamp_Sys100NS}})
$s += @(Get-CimInstance -ClassName Win32_PerfRawData_BalancerStats_HyperVDynamicMemoryVM -ErrorAction SilentlyContinue | Select-Object @{n=$cn.Set;e={'Pressure'}}, @{n=$cn.Sample;e={1}}, @{n=$cn.Name;e={$_.Name}}, @{n=$cn.Value;e={$_.AveragePressure}}, @{n=$cn.Time;e={$_.Timestamp_Sys100NS}})

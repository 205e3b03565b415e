# hvbalancer get-counters
$ErrorActionPreference = 'Stop'
$lp = 'Win32_PerfRawData_HvStats_HyperVHypervisorLogicalProcessor'
$vp = 'Win32_PerfRawData_HvStats_HyperVHypervisorVirtualProcessor'
$out = @(foreach ($i in 0, 1) {
  if ($i -gt 0) { Start-Sleep -Seconds $a.SampleInterval }
  Get-CimInstance -ClassName $lp | Select-Object @{n='Set';e={'LP'}}, @{n='Sample';e={$i}}, Name, @{n='Value';e={$_.PercentTotalRunTime}}, Timestamp_Sys100NS
  Get-CimInstance -ClassName $vp | Select-Object @{n='Set';e={'VP'}}, @{n='Sample';e={$i}}, Name, @{n='Value';e={$_.PercentGuestRunTime}}, @{n='Wait';e={$_.CPUWaitTimePerDispatch}}, @{n='Dispatches';e={$_.CPUWaitTimePerDispatch_Base}}, Timestamp_Sys100NS
})
$out += @(Get-CimInstance -ClassName Win32_PerfRawData_PerfOS_Memory | Select-Object @{n='Set';e={'Memory'}}, @{n='Sample';e={1}}, Name, @{n='Value';e={$_.AvailableMBytes}}, Timestamp_Sys100NS)
$out += @(Get-CimInstance -ClassName Win32_PerfRawData_BalancerStats_HyperVDynamicMemoryVM -ErrorAction SilentlyContinue | Select-Object @{n='Set';e={'Pressure'}}, @{n='Sample';e={1}}, Name, @{n='Value';e={$_.AveragePressure}}, Timestamp_Sys100NS)
ConvertTo-Json -InputObject $out -Compress

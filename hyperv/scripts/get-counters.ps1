# hvbalancer get-counters
$ErrorActionPreference = 'Stop'
$p = '\Hyper-V Hypervisor Logical Processor(_Total)\% Total Run Time', '\Hyper-V Hypervisor Virtual Processor(*)\% Guest Run Time', '\Memory\Available MBytes', '\Hyper-V Dynamic Memory VM(*)\Average Pressure'
(Get-Counter -Counter $p -SampleInterval $a.SampleInterval -MaxSamples 1 -ErrorAction SilentlyContinue).CounterSamples | Select-Object Path, InstanceName, CookedValue, Timestamp | ConvertTo-Json -Compress

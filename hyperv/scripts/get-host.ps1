# hvbalancer get-host
$ErrorActionPreference = 'Stop'
#include read-host
$vms = @(Get-VM)
$drives = @()
if ($vms.Count -gt 0) { $drives = @($vms | Get-VMHardDiskDrive) }
#include read-shares
$hostOut | ConvertTo-Json -Compress -Depth 4

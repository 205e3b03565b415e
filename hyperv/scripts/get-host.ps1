# hvbalancer get-host
$ErrorActionPreference = 'Stop'
$c = $null
if (Get-Command Get-Cluster -ErrorAction SilentlyContinue) { $c = (Get-Cluster -ErrorAction SilentlyContinue).Name }
Get-VMHost | Select-Object @{n='Name';e={$_.ComputerName}}, FullyQualifiedDomainName, LogicalProcessorCount, MemoryCapacity, VirtualMachineMigrationEnabled, MaximumVirtualMachineMigrations, VirtualMachineMigrationAuthenticationType, VirtualMachineMigrationPerformanceOption, @{n='Cluster';e={$c}} | ConvertTo-Json -Compress

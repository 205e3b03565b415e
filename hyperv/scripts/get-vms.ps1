# hvbalancer get-vms
$ErrorActionPreference = 'Stop'
Get-VM | Select-Object @{n='Id';e={$_.Id.ToString()}}, Name, State, CPUUsage, ProcessorCount, MemoryAssigned, MemoryDemand, MemoryStartup, DynamicMemoryEnabled, IsClustered, Uptime, Notes, ComputerName | ConvertTo-Json -Compress

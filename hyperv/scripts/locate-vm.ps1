# hvbalancer locate-vm
$ErrorActionPreference = 'Stop'
Get-VM -Id $a.Id -ErrorAction SilentlyContinue | Select-Object @{n='Id';e={$_.Id.ToString()}}, Name, State, Status, ComputerName, IsClustered | ConvertTo-Json -Compress

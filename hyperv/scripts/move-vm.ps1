# hvbalancer move-vm
$ErrorActionPreference = 'Stop'
$m = @{ VM = (Get-VM -Id $a.Id); DestinationHost = $a.DestinationHost; Passthru = $true }
if ($a.DestinationStoragePath) { $m.IncludeStorage = $true; $m.DestinationStoragePath = $a.DestinationStoragePath }
Move-VM @m | Select-Object @{n='Id';e={$_.Id.ToString()}}, Name, State, Status, ComputerName, IsClustered | ConvertTo-Json -Compress

# hvbalancer locate-vm
$ErrorActionPreference = 'Stop'
$absent = 'ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.GetVM', 'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM'
$e = $null
$v = Get-VM -Id $a.Id -ErrorAction SilentlyContinue -ErrorVariable e
if ($e) { if ($absent -notcontains $e[0].FullyQualifiedErrorId) { throw $e[0] }; $v = $null }
if ($v) { $v | Select-Object @{n='Id';e={$_.Id.ToString()}}, Name, State, Status, ComputerName, IsClustered | ConvertTo-Json -Compress } else { [pscustomobject]@{ Id = $a.Id; Absent = $true } | ConvertTo-Json -Compress }

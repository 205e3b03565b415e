# hvbalancer locate-vm
$ErrorActionPreference = 'Stop'
$absent = 'ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.GetVM', 'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM'
$v = $null
try { $v = Get-VM -Id $a.Id -ErrorAction Stop } catch { if ($absent -notcontains $_.FullyQualifiedErrorId) { throw } }
if ($v) { $v | Select-Object @{n='Id';e={$_.Id.ToString()}}, Name, State, Status, ComputerName, IsClustered | ConvertTo-Json -Compress } else { [pscustomobject]@{ Id = $a.Id; Absent = $true } | ConvertTo-Json -Compress }

-- Argo CD health check for codeexec.dev/CodeExecution. Install it in argocd-cm as
-- resource.customizations.health.codeexec.dev_CodeExecution (see README.md, "GitOps").
-- Succeeded is Healthy; Failed, TimedOut and Rejected are Degraded; Pending, Queued and Running are Progressing,
-- as is an execution the operator has not seen yet (no status) or not yet for its current generation.
local hs = {}
if obj.status == nil or obj.status.phase == nil then
  hs.status = "Progressing"
  hs.message = "waiting for the codeexec operator"
  return hs
end
local phase = obj.status.phase
if obj.status.observedGeneration ~= nil and obj.metadata.generation ~= nil
    and obj.status.observedGeneration < obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "waiting for the codeexec operator to observe generation " .. obj.metadata.generation
  return hs
end
if phase == "Succeeded" then
  hs.status = "Healthy"
elseif phase == "Failed" or phase == "TimedOut" or phase == "Rejected" then
  hs.status = "Degraded"
else
  hs.status = "Progressing"
end
hs.message = phase
if obj.status.reason ~= nil then
  hs.message = hs.message .. " (" .. obj.status.reason .. ")"
end
if obj.status.message ~= nil then
  hs.message = hs.message .. ": " .. obj.status.message
end
return hs

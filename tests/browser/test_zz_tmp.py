import json, pytest
from tests.browser.conftest import AXE_JS, log_in
from tests.browser.test_accessibility import hub, AXE_OPTIONS, OWNER

def test_t(hub, new_context):
    page = new_context(bypass_csp=True).new_page()
    log_in(page, OWNER)
    for path in ["/", f"/c/{hub['slug']}", f"/c/{hub['slug']}/members", "/account", "/account/tokens", f"/c/{hub['slug']}/invitations"]:
        page.goto(path)
        page.add_script_tag(path=str(AXE_JS))
        r = page.evaluate("options => axe.run(document, {runOnly: options.runOnly})", AXE_OPTIONS)
        print(path, "passes", len(r["passes"]), "violations", len(r["violations"]), "incomplete", [(i["id"], i["impact"], [n["target"] for n in i["nodes"]][:5]) for i in r["incomplete"]])

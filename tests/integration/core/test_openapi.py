"""`/schema/openapi.json` describes what the API really does: the error shape it sends, the
statuses each operation can answer, and the parts of its multipart bodies."""

from __future__ import annotations

import httpx

from backend.core.errors import ErrorBody

ERROR_REF = "#/components/schemas/ErrorBody"


async def operations(client: httpx.AsyncClient) -> tuple[dict, dict[str, dict]]:
    schema = (await client.get("/schema/openapi.json")).json()
    ops = {
        op["operationId"]: {**op, "path": path, "method": method}
        for path, item in schema["paths"].items()
        for method, op in item.items()
    }
    return schema, ops


async def test_errors_are_documented_in_the_shape_the_api_sends(client: httpx.AsyncClient) -> None:
    schema, ops = await operations(client)
    component = schema["components"]["schemas"]["ErrorBody"]
    assert set(component["properties"]) == set(ErrorBody.__struct_fields__)
    assert "status_code" not in str(schema["paths"])
    for name, op in ops.items():
        errors = {code: r for code, r in op["responses"].items() if code[0] in "45"}
        assert errors, name
        for code, response in errors.items():
            content = response["content"]["application/json"]["schema"]
            assert content == {"$ref": ERROR_REF}, (name, code, content)


async def test_each_operation_lists_what_it_can_answer(client: httpx.AsyncClient) -> None:
    _, ops = await operations(client)
    public = {"login", "health", "publicGerai", "submitRating", "geraiQrSvg", "geraiQrPng"}
    for name, op in ops.items():
        codes = set(op["responses"])
        if name not in public:
            assert {"401", "403"} <= codes, (name, codes)
        if "{" in op["path"]:
            assert {"400", "404"} <= codes, (name, codes)
        if op["method"] in ("post", "put", "patch") or op.get("parameters"):
            assert {"400", "422"} <= codes, (name, codes)
        if "requestBody" in op:
            assert "413" in codes, (name, codes)
        assert "503" in codes, (name, codes)
    assert {"401", "422", "503"} <= set(ops["login"]["responses"])
    for name in ("createCheckIn", "createPermit", "decidePermit", "cancelPermit", "decideReview"):
        assert "409" in ops[name]["responses"], name


async def test_multipart_bodies_document_their_parts(client: httpx.AsyncClient) -> None:
    _, ops = await operations(client)
    expected = {
        # frame0..frame7: the liveness challenge's frames, optional (older PWAs send none);
        # chain: the device's signed chain block, optional (unsigned records are accepted).
        "createCheckIn": (
            {"meta", "selfie", "chain", *(f"frame{i}" for i in range(8))},
            {"meta", "selfie"},
        ),
        "createPermit": ({"meta", "attachment", "chain"}, {"meta"}),
        "enrolFace": ({"photo"}, {"photo"}),
    }
    for name, (parts, required) in expected.items():
        body = ops[name]["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert set(body["properties"]) == parts, (name, body)
        assert set(body["required"]) == required, (name, body)
        for part, spec in body["properties"].items():
            if part in ("meta", "chain"):
                assert spec["contentMediaType"] == "application/json", spec
            else:
                assert spec["format"] == "binary", spec

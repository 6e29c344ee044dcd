// POST /upload: a 5 MiB body per request, sent from one shared buffer, answered with its digest.
#include <openssl/evp.h>

#include <boost/json/parse.hpp>

#include <shootout/sdk/http.h>
#include <shootout/sdk/plugin.h>

namespace {

using namespace shootout::sdk;

std::string sha256_hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string text;
    for (unsigned i = 0; i < length; ++i) {
        text += hex[digest[i] >> 4];
        text += hex[digest[i] & 15];
    }
    return text;
}

// Deterministic, incompressible-looking bytes: the same payload on every run and machine.
std::string make_payload(std::uint64_t size) {
    std::string payload(size, '\0');
    std::uint64_t x = 0x5eed5eed5eed5eedULL;
    for (std::uint64_t i = 0; i < size; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        payload[i] = static_cast<char>(x >> 56);
    }
    return payload;
}

class upload_check final : public small_body_check {
public:
    upload_check(const std::string& sha256, std::uint64_t size) : small_body_check(4096), sha256_(sha256), size_(size) {}

private:
    verdict judge(unsigned status, std::string_view content_type, std::string_view body) override {
        if (status != 200) return verdict::fail("status " + std::to_string(status) + ", expected 200 (body " + excerpt(body) + ")");
        if (!media_type_is(content_type, "application/json"))
            return verdict::fail("content type '" + std::string(content_type) + "', expected application/json");
        boost::system::error_code ec;
        auto doc = boost::json::parse(boost::json::string_view(body.data(), body.size()), ec);
        if (ec || !doc.is_object()) return verdict::fail("body is not a JSON object: " + excerpt(body));
        const auto& o = doc.get_object();
        const auto* sha = o.if_contains("sha256");
        const auto* size = o.if_contains("size");
        if (!sha || !sha->is_string()) return verdict::fail("no 'sha256' string in " + excerpt(body));
        if (!size || !(size->is_int64() || size->is_uint64())) return verdict::fail("no integer 'size' in " + excerpt(body));
        if (size->to_number<std::uint64_t>() != size_)
            return verdict::fail("server counted " + std::to_string(size->to_number<std::uint64_t>()) + " bytes, sent " +
                                 std::to_string(size_));
        if (sha->get_string() != sha256_)
            return verdict::fail("server's sha256 " + std::string(sha->get_string()) + " differs from the payload's " + sha256_);
        return verdict::pass();
    }

    const std::string& sha256_;
    std::uint64_t size_;
};

class upload_session final : public http_session {
public:
    upload_session(const std::string& head, const std::string& preamble, const std::string& payload,
                   const std::string& epilogue, const std::string& sha256)
        : check_(sha256, payload.size()) {
        request_.parts[request_.part_count++] = head;
        if (!preamble.empty()) request_.parts[request_.part_count++] = preamble;
        request_.parts[request_.part_count++] = payload;  // shared, never copied
        if (!epilogue.empty()) request_.parts[request_.part_count++] = epilogue;
    }
    wire_request next_request() override { return request_; }
    response_check& check() override { return check_; }
    response_expectation expected() const override { return {"application/json", std::nullopt}; }

private:
    wire_request request_;
    upload_check check_;
};

class upload final : public scenario {
public:
    static constexpr std::array<option_spec, 3> options{{
        {"path", option_type::string, "/upload", "request path"},
        {"size", option_type::size, "5MiB", "payload size"},
        {"multipart", option_type::boolean, "false", "send the payload as multipart field 'file' instead of a raw body"},
    }};

    explicit upload(const plugin_context& context)
        : path_(context.options.string("path")),
          multipart_(context.options.boolean("multipart")) {
        if (path_.empty() || path_.front() != '/') throw config_error("path", "must start with '/'");
        const auto size = context.options.size("size");
        if (size == 0 || size > (std::uint64_t{1} << 30)) throw config_error("size", "must be 1 byte to 1GiB");
        payload_ = make_payload(size);
        sha256_ = sha256_hex(payload_);  // computed here from what is sent, never taken from a server
    }

    shootout::sdk::transport transport() const override { return transport::http; }

    void prepare(const target& t) override {
        if (multipart_) {
            const std::string boundary = "shootout-boundary-7e3f1a2b9c";
            preamble_ = "--" + boundary +
                        "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"payload.bin\"\r\n"
                        "Content-Type: application/octet-stream\r\n\r\n";
            epilogue_ = "\r\n--" + boundary + "--\r\n";
            head_ = request_head("POST", t, path_, "Content-Type: multipart/form-data; boundary=" + boundary + "\r\n",
                                 preamble_.size() + payload_.size() + epilogue_.size(), true);
        } else {
            preamble_.clear();
            epilogue_.clear();
            head_ = request_head("POST", t, path_, "Content-Type: application/octet-stream\r\n", payload_.size(), true);
        }
    }

    std::unique_ptr<http_session> open_http_session(const session_context&) const override {
        return std::make_unique<upload_session>(head_, preamble_, payload_, epilogue_, sha256_);
    }

private:
    std::string path_;
    bool multipart_;
    std::string payload_, sha256_;
    std::string head_, preamble_, epilogue_;
};

}  // namespace

SHOOTOUT_REGISTER_SCENARIO(upload, "upload", "1.0.0",
                           "POST /upload, 5 MiB from one shared buffer: 200 {sha256,size} checked against ours")

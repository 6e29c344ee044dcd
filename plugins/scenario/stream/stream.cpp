// GET /stream: a 10 MiB response, counted and hashed as it arrives, never held whole.
#include <openssl/evp.h>

#include <shootout/sdk/http.h>
#include <shootout/sdk/plugin.h>

namespace {

using namespace shootout::sdk;

class stream_check final : public response_check {
public:
    stream_check(std::uint64_t expected_size, const std::string& expected_digest)
        : expected_size_(expected_size), expected_digest_(expected_digest), md_(EVP_MD_CTX_new()) {
        if (!md_) throw std::bad_alloc();
    }
    ~stream_check() override { EVP_MD_CTX_free(md_); }

    void begin(const response_head& head) override {
        status_ = head.status;
        content_type_.assign(head.content_type);
        received_ = 0;
        EVP_DigestInit_ex(md_, EVP_sha256(), nullptr);
    }
    void on_body(std::string_view chunk) override {
        received_ += chunk.size();
        EVP_DigestUpdate(md_, chunk.data(), chunk.size());
    }
    verdict end() override {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int length = 0;
        EVP_DigestFinal_ex(md_, digest, &length);
        if (status_ != 200) return verdict::fail("status " + std::to_string(status_) + ", expected 200");
        if (!media_type_is(content_type_, "application/octet-stream"))
            return verdict::fail("content type '" + content_type_ + "', expected application/octet-stream");
        if (received_ != expected_size_)
            return verdict::fail("received " + std::to_string(received_) + " bytes, expected exactly " +
                                 std::to_string(expected_size_));
        if (std::string_view(reinterpret_cast<const char*>(digest), length) != expected_digest_)
            return verdict::fail("the body's sha256 differs from that of " + std::to_string(expected_size_) +
                                 " bytes of 'X'");
        return verdict::pass();
    }

private:
    std::uint64_t expected_size_;
    const std::string& expected_digest_;
    EVP_MD_CTX* md_;
    unsigned status_ = 0;
    std::string content_type_;
    std::uint64_t received_ = 0;
};

class stream_session final : public http_session {
public:
    stream_session(std::string_view request, std::uint64_t size, const std::string& digest)
        : request_(request), size_(size), check_(size, digest) {}
    wire_request next_request() override { return {{request_}, 1}; }
    response_check& check() override { return check_; }
    // Type and length on every response; the digest of the bytes on the sample.
    response_expectation expected() const override { return {"application/octet-stream", size_}; }

private:
    std::string_view request_;
    std::uint64_t size_;
    stream_check check_;
};

class stream final : public scenario {
public:
    static constexpr std::array<option_spec, 2> options{{
        {"path", option_type::string, "/stream", "request path"},
        {"size", option_type::size, "10MiB", "exact body size expected, every byte 'X'"},
    }};

    explicit stream(const plugin_context& context)
        : path_(context.options.string("path")), size_(context.options.size("size")) {
        if (path_.empty() || path_.front() != '/') throw config_error("path", "must start with '/'");
        // The digest of `size` bytes of 'X', computed in pieces like the body it checks.
        EVP_MD_CTX* md = EVP_MD_CTX_new();
        EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
        const std::string block(65536, 'X');
        for (std::uint64_t left = size_; left > 0;) {
            const auto n = std::min<std::uint64_t>(left, block.size());
            EVP_DigestUpdate(md, block.data(), n);
            left -= n;
        }
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int length = 0;
        EVP_DigestFinal_ex(md, digest, &length);
        EVP_MD_CTX_free(md);
        digest_.assign(reinterpret_cast<const char*>(digest), length);
    }

    shootout::sdk::transport transport() const override { return transport::http; }
    void prepare(const target& t) override { request_ = request_head("GET", t, path_); }
    unsigned correctness_requests() const override { return 1; }
    std::unique_ptr<http_session> open_http_session(const session_context&) const override {
        return std::make_unique<stream_session>(request_, size_, digest_);
    }

private:
    std::string path_;
    std::uint64_t size_;
    std::string digest_;
    std::string request_;
};

}  // namespace

SHOOTOUT_REGISTER_SCENARIO(stream, "stream", "1.0.0",
                           "GET /stream: exactly 10 MiB of 'X', counted and hashed as it arrives")
